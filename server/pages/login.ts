// The login form: a read token in, a session cookie out (web.ts). The form posts to this server only.
import { html, type Html } from './html';

export function loginForm(next: string, problem: string | null): Html {
  return html`<form class="login" method="post" action="/login">
${problem ? html`<p class="error" role="alert">${problem}</p>` : ''}
<p>Log in with a read token (<code>server.read_tokens</code> in the server's config). The token stays in this form; the browser keeps only a session cookie, for 12 hours.</p>
<label>Read token <input type="password" name="token" autocomplete="current-password" required autofocus></label>
<input type="hidden" name="next" value="${next}">
<p><button type="submit">Log in</button></p>
</form>`;
}
