// Service fingerprints and certificates in words and as stored text (common/service-facts.ts).
import { certDiffers, certText, certWords, parseCert, parseService, sameService, serviceChangeWords, serviceText, serviceWords } from '../../common/service-facts';
import { describeChange } from '../../common/describe';
import { crt, svc } from '../helpers/classify-table';

describe('service fingerprints in words', () => {
  test.each([
    ['product and version', svc('8.9p1'), svc('9.6p1'), 'OpenSSH 8.9p1 → OpenSSH 9.6p1'],
    ['only the extra info differs: it is shown', svc('8.9p1'), svc('8.9p1', { extrainfo: 'protocol 1.99' }), 'OpenSSH 8.9p1 (protocol 2.0) → OpenSSH 8.9p1 (protocol 1.99)'],
    ['now behind TLS', svc('8.9p1', { extrainfo: null }), svc('8.9p1', { extrainfo: null, tunnel: 'ssl' }), 'OpenSSH 8.9p1 → OpenSSH 8.9p1 (over ssl)'],
    ['no product: the service name, with its tunnel', svc('1', { product: null, version: null, extrainfo: null, name: 'http' }), svc('1', { product: null, version: null, extrainfo: null, name: 'http', tunnel: 'ssl' }), 'http → ssl/http'],
    ['nothing before', null, svc('9.6p1'), '(none) → OpenSSH 9.6p1 (protocol 2.0)'],
  ])('%s', (_t, before, after, words) => {
    expect(serviceChangeWords(before, after)).toBe(words);
  });

  test('the stored text round-trips, leaves the method out and compares the five parts', () => {
    const f = svc('9.6p1', { tunnel: 'ssl' });
    expect(parseService(serviceText(f))).toEqual(f);
    expect(serviceText(f)).not.toContain('method');
    expect(sameService(f, { ...f, method: 'table' })).toBe(true);
    expect(sameService(f, { ...f, extrainfo: 'x' })).toBe(false);
    expect([parseService(null), parseService('')]).toEqual([null, null]);
    expect(serviceWords(null)).toBe('(none)');
  });
});

describe('certificates', () => {
  test('the strongest fingerprint both carry decides; none in common proves nothing', () => {
    expect(certDiffers(crt('a'), crt('a'))).toBe(false);
    expect(certDiffers(crt('a'), crt('b'))).toBe(true);
    expect(certDiffers({ ...crt('a'), sha256: crt('b').sha256 }, crt('a'))).toBe(true);
    expect(certDiffers(crt('a', 'sha1'), crt('b', 'sha1'))).toBe(true);
    expect(certDiffers(crt('a', 'sha256'), crt('b', 'sha1'))).toBeNull();
  });

  test('in words: subject, expiry day and the start of the fingerprint; stored text round-trips', () => {
    expect(certWords(crt('a'))).toBe('CN=a.test, expires 2027-02-01 (sha256 aaaaaaaa…)');
    expect(certWords(crt('a', 'sha1'))).toBe('CN=a.test, expires 2027-02-01 (sha1 aaaaaaaa…)');
    expect(parseCert(certText(crt('b')))).toEqual(crt('b'));
  });

  test('a change in words: the port change first, then the facts', () => {
    const base = { proto: 'tcp', port: 443, hostname: null, previous_hostname: null, returning: false };
    expect(describeChange({ ...base, type: 32 | 128 | 256, service: svc('9.6p1'), previous_service: svc('8.9p1'), cert: crt('b'), previous_cert: crt('a') }))
      .toBe('port 443/tcp open again, service changed: OpenSSH 8.9p1 → OpenSSH 9.6p1, TLS certificate changed: CN=a.test, expires 2027-02-01 (sha256 aaaaaaaa…) → CN=b.test, expires 2027-03-01 (sha256 bbbbbbbb…)');
    expect(describeChange({ ...base, type: 256, cert: crt('b'), previous_cert: crt('a') })).toMatch(/^port 443\/tcp TLS certificate changed: CN=a\.test/);
  });
});
