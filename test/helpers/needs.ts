// Tests that need a tool or a server this machine may lack. Where it is missing the block is a jest
// skip with the reason in its title, so the summary counts it as skipped and never as passed. In CI
// (CI=true, or PORTDELTA_TEST_PG=required as .ci/run sets) everything must run: a missing tool
// fails the test file with the reason instead.
import { execFileSync } from 'node:child_process';

function mustRunAll(): boolean {
  return process.env.PORTDELTA_TEST_PG === 'required' || process.env.CI === 'true';
}

/** null when it may run; else why not (outside CI), or an error (in CI). */
export function unlessCi(reason: string | null): string | null {
  if (reason && mustRunAll()) {
    throw new Error(`${reason}, and CI=true / PORTDELTA_TEST_PG=required says these tests must run here`);
  }
  return reason;
}

/** Why a test that needs `tool` cannot run here, or null; see unlessCi. */
export function missingTool(tool: string, versionArg = '--version', pkg = tool): string | null {
  try {
    execFileSync(tool, [versionArg], { stdio: 'ignore' });
    return null;
  } catch {
    return unlessCi(`${tool} is not installed (apt-get install ${pkg}); CI installs it and runs these tests`);
  }
}

const titled = (title: string, reason: string) => `${title} (skipped: ${reason})`;

/** `describe`, or the same block skipped with the reason in its title. */
export function describeUnless(reason: string | null, title: string, fn: () => void): void {
  if (reason) describe.skip(titled(title, reason), fn);
  else describe(title, fn);
}

/** `test`, or the same test skipped with the reason in its title. */
export function testUnless(reason: string | null, title: string, fn: jest.ProvidesCallback, timeout?: number): void {
  if (reason) test.skip(titled(title, reason), fn);
  else test(title, fn, timeout);
}
