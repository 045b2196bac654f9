// Every input agent through the shared conformance suite, on every fixture of its format.
import path from 'node:path';
import { Readable } from 'node:stream';
import { describeInputAgent, readFixture, collect, type AgentCase } from '../helpers/describe-input-agent';
import { groundTruth, SCENARIOS } from '../helpers/oracle';
import { SCANS } from '../helpers/cli';
import { nmapXml } from '../../input-agents/nmap-xml';
import { masscanXml } from '../../input-agents/masscan-xml';
import { nmapGrepable } from '../../input-agents/nmap-grepable';
import { portdeltaCsv, scanEventsToUniformCsv } from '../../input-agents/portdelta-csv';

interface GtScan {
  tool: string;
  files: string[];
  complete: boolean;
  hosts: AgentCase['hosts'];
}

function cases(ext: string, tool: string): AgentCase[] {
  return SCENARIOS.flatMap((scenario) =>
    (groundTruth(scenario).nights as Array<{ scans: GtScan[] }>).flatMap((n) =>
      n.scans
        .filter((s) => s.tool === tool)
        .flatMap((s) => s.files.filter((f) => f.endsWith(ext)).map((f) => ({ s, f })))
        .map(({ s, f }) => ({ name: `${scenario}/${f}`, bytes: readFixture(path.join(SCANS, scenario, f)), complete: s.complete, hosts: s.hosts, names: tool !== 'masscan' })),
    ),
  );
}

/** The uniform CSV of a fixture, written by the CSV writer from what the XML agent read. */
function asCsv(c: AgentCase): AgentCase {
  let memo: Buffer | undefined;
  return {
    ...c,
    name: `${c.name} as uniform CSV`,
    bytes: () => {
      if (memo) return memo;
      throw new Error('call prepare() first');
    },
    prepare: async () => {
      const events = await collect(nmapXml, Readable.from([c.bytes()]));
      let text = '';
      for await (const s of scanEventsToUniformCsv((async function* () { yield* events; })(), { scanner: 'x' })) text += s;
      memo = Buffer.from(text);
    },
  } as AgentCase & { prepare: () => Promise<void> };
}

const xmlCases = cases('.xml', 'nmap');
const csvCases = cases('.xml', 'nmap').map(asCsv);

beforeAll(async () => {
  for (const c of csvCases) await (c as AgentCase & { prepare: () => Promise<void> }).prepare();
});

describeInputAgent(nmapXml, xmlCases);
describeInputAgent(masscanXml, cases('.xml', 'masscan'));
describeInputAgent(nmapGrepable, cases('.gnmap', 'nmap'));
describeInputAgent(portdeltaCsv, csvCases);
