// Syslog's three transports: UDP (RFC 5426: one message a datagram, no acknowledgement), TCP with
// octet-counting framing (RFC 6587 §3.4.1: "LEN SP MSG", so a line break inside a message cannot
// split it) and TLS (RFC 5425: the same framing, the server's certificate always verified). A
// stream transport counts as delivered when every byte is handed to the connection and the
// receiver, having read up to our end, closes its side: bytes in our kernel's buffer are not yet
// the receiver's, and a receiver that resets the connection instead has not taken them. One that
// keeps its side open past the timeout after reading is taken to have them (RFC 6587 has no
// acknowledgement to wait for).
import dgram from 'node:dgram';
import { isIP } from 'node:net';
import net from 'node:net';
import tls from 'node:tls';

export type Transport = 'udp' | 'tcp' | 'tls';

export interface Peer {
  host: string;
  port: number;
  transport: Transport;
  /** PEM of the CAs a TLS server's certificate may chain to, beside the system's. */
  ca?: Buffer;
  timeoutMs: number;
}

const frame = (msg: string): Buffer => {
  const body = Buffer.from(msg, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
};

function sendUdp(peer: Peer, messages: string[]): Promise<void> {
  const socket = dgram.createSocket(isIP(peer.host) === 6 ? 'udp6' : 'udp4');
  return new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(peer.port, peer.host, () => {
      let left = messages.length;
      if (!left) resolve();
      for (const m of messages) {
        socket.send(Buffer.from(m, 'utf8'), (e) => (e ? reject(e) : --left === 0 && resolve()));
      }
    });
  }).finally(() => {
    try {
      socket.close();
    } catch {
      // already closed by its error
    }
  });
}

function connect(peer: Peer): net.Socket {
  if (peer.transport === 'tcp') return net.connect({ host: peer.host, port: peer.port });
  return tls.connect({
    host: peer.host,
    port: peer.port,
    // SNI takes names only; an address is checked against the certificate's IP entries.
    servername: isIP(peer.host) ? undefined : peer.host,
    ca: peer.ca ? [...tls.rootCertificates, peer.ca.toString('utf8')] : undefined,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  });
}

function sendStream(peer: Peer, messages: string[]): Promise<void> {
  const socket = connect(peer);
  socket.setTimeout(peer.timeoutMs);
  return new Promise<void>((resolve, reject) => {
    let flushed = false;
    let peerDone = false;
    const settle = () => flushed && peerDone && resolve();
    socket.once('error', reject);
    socket.once('timeout', () => (flushed ? resolve() : reject(Object.assign(new Error(`no answer within ${peer.timeoutMs / 1000}s`), { code: 'ETIMEDOUT' }))));
    socket.once(peer.transport === 'tls' ? 'secureConnect' : 'connect', () => {
      for (const m of messages) socket.write(frame(m));
      socket.end(() => void ((flushed = true), settle()));
    });
    socket.resume();
    socket.once('end', () => void ((peerDone = true), settle()));
    socket.once('close', () => reject(Object.assign(new Error('the receiver closed the connection before it took every message'), { code: 'ECONNRESET' })));
  }).finally(() => socket.destroy());
}

export function sendSyslog(peer: Peer, messages: string[]): Promise<void> {
  return peer.transport === 'udp' ? sendUdp(peer, messages) : sendStream(peer, messages);
}
