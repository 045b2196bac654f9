// `portdelta agent --config agent.yaml`: one run of the remote scan agent (cron runs it).
import { EXIT, type Action } from './io';
import { json } from './render';
import { safeText } from '../common/safe-text';
import { DEFAULT_AGENT_CONFIG, loadAgentConfig } from '../scan-agent/config';
import { runAgent } from '../scan-agent/run-agent';
import { CREDENTIALS_REMEDY } from '../scan-agent/uploader';

export const run: Action = async (_args, _opts, global, io) => {
  // --config names the agent's own file here; PORTDELTA_CONFIG is the central server's and does not apply.
  const cfg = loadAgentConfig(global.config ?? (global.env ?? process.env).PORTDELTA_AGENT_CONFIG ?? DEFAULT_AGENT_CONFIG);
  const s = await runAgent(cfg, (msg) => io.err(`portdelta agent: ${new Date().toISOString()} ${msg.split('\n').map(safeText).join('\n')}\n`));
  if (global.json) json(io, s);
  else io.out(`${s.agent}: ${s.subnets.length} subnet(s), ${s.scanned} scanned, ${s.sent} report(s) sent, ${s.kept} kept, ${s.rejected} refused${s.credentials_refused ? ` — the server refused the credentials: ${CREDENTIALS_REMEDY}` : ''}\n`);
  return s.ok ? EXIT.ok : EXIT.error;
};
