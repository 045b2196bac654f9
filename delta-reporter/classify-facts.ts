// The pure half of service_changed and cert_changed (docs/change-types.md): the last probed
// fingerprint and the last certificate stored for a port + what this scan says → change flags and
// what to store. A table guess or a scan without -sV or ssl-cert says nothing: it neither raises a
// change nor replaces what an earlier scan probed, so the night after a quick scan still compares
// with the last real probe. Thresholds do not delay these changes: a version is seen or it is not.
import { ChangeType, type CertFacts, type ServiceFingerprint } from '../common/types';
import { certDiffers, sameService } from '../common/service-facts';

export interface FactsPrev {
  /** The last probed fingerprint (method 'probed'), or null. */
  service: ServiceFingerprint | null;
  cert: CertFacts | null;
}

export interface FactsSeen {
  /** What this scan's version detection said, probed or guessed; null without -sV. */
  service: ServiceFingerprint | null;
  cert: CertFacts | null;
  /** The port is reported open after this scan: only then is a change news to anyone. */
  reportedOpen: boolean;
}

export interface FactsDecision {
  change: number;
  /** The values before, for the change row (null when that part did not change). */
  previousService: ServiceFingerprint | null;
  previousCert: CertFacts | null;
  next: FactsPrev;
}

export function classifyFacts(prev: FactsPrev | null, seen: FactsSeen): FactsDecision {
  const probed = seen.service?.method === 'probed' ? seen.service : null;
  const serviceChanged = seen.reportedOpen && !!probed && !!prev?.service && !sameService(prev.service, probed);
  const certChanged = seen.reportedOpen && !!seen.cert && !!prev?.cert && certDiffers(prev.cert, seen.cert) === true;
  return {
    change: (serviceChanged ? ChangeType.service_changed : 0) | (certChanged ? ChangeType.cert_changed : 0),
    previousService: serviceChanged ? prev!.service : null,
    previousCert: certChanged ? prev!.cert : null,
    next: { service: probed ?? prev?.service ?? null, cert: seen.cert ?? prev?.cert ?? null },
  };
}
