// The layer table of docs/architecture.md, enforced: each layer may import only the layers below
// it (type imports included), and no import circle anywhere.
const LAYERS = {
  common: [],
  db: ['common'],
  'input-agents': ['common'],
  'delta-reporter': ['input-agents', 'db', 'common'],
  'output-agents': ['delta-reporter', 'input-agents', 'db', 'common'],
  config: ['output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  inbox: ['config', 'output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  scripts: ['config', 'output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  server: ['config', 'output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  'scan-agent': ['config', 'output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  cli: ['server', 'scan-agent', 'inbox', 'scripts', 'config', 'output-agents', 'delta-reporter', 'input-agents', 'db', 'common'],
  bin: ['cli'],
};

const forbidden = Object.entries(LAYERS).map(([layer, allowed]) => ({
  name: `${layer}-imports-only-below`,
  comment: `${layer}/ may import ${allowed.length ? allowed.join(', ') : 'nothing outside itself'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^${layer}/` },
  to: {
    path: `^(${Object.keys(LAYERS).join('|')})/`,
    pathNot: [`^${layer}/`, ...allowed.map((a) => `^${a}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...forbidden,
    { name: 'no-circular', severity: 'error', comment: 'no two files import each other, directly or round a circle', from: {}, to: { circular: true } },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|test|bench)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
