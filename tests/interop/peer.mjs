// peer.mjs: a js-libp2p peer driven the way swarmlab-node is driven, so the
// interop harness (run.sh) can run the same checks against either one.
//
//   node --import ./polyfill.mjs peer.mjs [--listen MA] [--peer MA]...
//        [--key FILE] [--control PATH] [--router floodsub|gossipsub]
//        [--sign-policy StrictSign|StrictNoSign] [--bitswap]
//
// StrictSign is the default and what the interop checks use; StrictNoSign
// makes a peer that publishes unsigned messages, which a StrictSign peer
// must reject.
//
// With --bitswap the libp2p node is a Helia node's (helia, @helia/bitswap:
// /ipfs/bitswap/1.2.0, an in-memory blockstore), and the commands gain
//   put TEXT   stores TEXT as a raw block (CIDv1, sha2-256); replies {"cid"}
//   get CID    the block from the blockstore or, through Bitswap, from the
//              connected peers; replies {"data"} (UTF-8 text)
//
// Commands, one per line, on standard input and on the Unix control socket;
// each gets one JSON reply line:
//   id | connect MA | sub TOPIC | unsub TOPIC | pub TOPIC TEXT | peers
//   ping PEERID | msg PEERID TEXT | watch | quit  (as swarmlab-node has them)
//   ping PEERID COUNT   COUNT pings in a row, each on a new stream
//   identify PEERID     agent, protocol version and protocols the peer announced,
//                       and the connections' encryption and muxer
//   yamux-ping PEERID   a yamux Ping frame, answered by the peer's muxer
//   subscribers TOPIC   the peers we know to be subscribed to TOPIC
// Standard output also carries one line per event:
//   message TOPIC FROM TEXT      a pubsub message delivered (StrictSign checked)
//   chat FROM TEXT               a /swarmlab/chat/1.0.0 message arrived
//   connected PEER | disconnected PEER
//   identified PEER AGENT PROTO,PROTO,...
// A control-socket client that sent `watch` also receives the message, chat,
// connected and disconnected events as the daemon's JSON lines (docs/node.md),
// e.g. {"event":"message","topic":"room","from":"12D3KooW...","data":"hello"},
// so that tests/bench/bench_loopback.c measures both the same way.
//
// The node speaks TCP, Noise, yamux, identify, ping, floodsub (or gossipsub
// with its floodsub fallback) and /swarmlab/chat/1.0.0, whose messages are
// uvarint-length-prefixed; an inbound chat message is answered with
// "echo: TEXT" on the same stream.
import { createServer } from 'node:net'
import { chmodSync, existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { floodsub } from '@libp2p/floodsub'
import { gossipsub } from '@libp2p/gossipsub'
import { withBitswap } from '@helia/bitswap'
import { withLibp2pLight } from '@helia/libp2p'
import { identify } from '@libp2p/identify'
import { peerIdFromString } from '@libp2p/peer-id'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { multiaddr } from '@multiformats/multiaddr'
import { createHeliaLight } from 'helia'
import { createLibp2p } from 'libp2p'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'

const CHAT_PROTOCOL = '/swarmlab/chat/1.0.0'
const CHAT_MESSAGE_MAX = 256 * 1024 // largest chat message we accept
const CHAT_READ_TIMEOUT_MS = 30_000 // how long an outbound chat stream waits for replies
const ECHO_PREFIX = 'echo: ' // replies are never echoed again: no ping-pong
const COMMAND_TIMEOUT_MS = 10_000 // dial, ping and stream opening
const CONTROL_LINE_MAX = 256 * 1024 // longest command line on the control socket (checked once read:
// only the harness, as the same user, can reach the 0600 socket)
const PING_COUNT_MAX = 10_000 // pings one ping command may run
const BITSWAP_GET_TIMEOUT_MS = 15_000 // a get through Bitswap gives up
const AGENT_NAME = 'swarmlab-interop-js'
const WATCH_BACKLOG_MAX = 16 * 1024 * 1024 // a watcher that stops reading is dropped, as the daemon does

// Control-socket clients that sent `watch`.
const watchers = new Set()

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function parseOptions () {
  const { values } = parseArgs({
    options: {
      listen: { type: 'string', default: '/ip4/127.0.0.1/tcp/0' },
      peer: { type: 'string', multiple: true, default: [] },
      key: { type: 'string' },
      control: { type: 'string' },
      router: { type: 'string', default: 'floodsub' },
      'sign-policy': { type: 'string', default: 'StrictSign' },
      bitswap: { type: 'boolean', default: false }
    }
  })
  if (values['sign-policy'] !== 'StrictSign' && values['sign-policy'] !== 'StrictNoSign') {
    throw new Error(`--sign-policy must be StrictSign or StrictNoSign, not ${values['sign-policy']}`)
  }
  if (values.router !== 'floodsub' && values.router !== 'gossipsub') {
    throw new Error(`--router must be floodsub or gossipsub, not ${values.router}`)
  }
  return values
}

// The identity: read from --key (libp2p protobuf private key), or created
// there with mode 0600 when the file is missing.
async function loadKey (path) {
  if (path === undefined) return generateKeyPair('Ed25519')
  if (existsSync(path)) return privateKeyFromProtobuf(readFileSync(path))
  const key = await generateKeyPair('Ed25519')
  writeFileSync(path, privateKeyToProtobuf(key), { mode: 0o600 })
  return key
}

function pubsubService (router, signPolicy) {
  if (router === 'gossipsub') {
    return gossipsub({
      globalSignaturePolicy: signPolicy,
      fallbackToFloodsub: true,
      allowPublishToZeroTopicPeers: true,
      emitSelf: false
    })
  }
  return floodsub({ globalSignaturePolicy: signPolicy, emitSelf: false })
}

// The libp2p node, alone or inside a Helia node (--bitswap); helia is null
// without --bitswap.
async function createPeer (options) {
  const init = {
    privateKey: await loadKey(options.key),
    addresses: { listen: [options.listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    nodeInfo: { name: AGENT_NAME, version: '0.1' },
    services: {
      identify: identify(),
      ping: ping(),
      pubsub: pubsubService(options.router, options['sign-policy'])
    }
  }
  if (!options.bitswap) return { libp2p: await createLibp2p(init), helia: null }
  const helia = withBitswap(withLibp2pLight(createHeliaLight(), init))
  await helia.start()
  return { libp2p: helia.libp2p, helia }
}

// put and get over Helia's blockstore, which asks Bitswap for what it lacks.
function blockCommands (helia) {
  if (helia === null) return {}
  return {
    put: async (rest) => {
      const data = encoder.encode(rest)
      const cid = CID.createV1(raw.code, await sha256.digest(data))
      await helia.blockstore.put(cid, data)
      return { cid: cid.toString() }
    },
    get: async (rest) => {
      const got = helia.blockstore.get(CID.parse(rest), { signal: AbortSignal.timeout(BITSWAP_GET_TIMEOUT_MS) })
      const parts = []
      if (got[Symbol.asyncIterator] === undefined) parts.push(await got)
      else for await (const part of got) parts.push(part)
      return { data: decoder.decode(Buffer.concat(parts)) }
    }
  }
}

// Text on one output line: newlines and other control characters escaped.
function oneLine (text) {
  return text.replace(/[\u0000-\u001f\\]/g, (c) => c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
}

function emit (line) {
  process.stdout.write(line + '\n')
}

// A JSON string the way the daemon writes one (daemon_output.c): '"' and '\\'
// escaped, C0 and DEL as \u00XX, anything else as is.
function jsonText (text) {
  return '"' + text.replace(/["\\\u0000-\u001f\u007f]/g, (c) =>
    c === '"' || c === '\\' ? '\\' + c : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '"'
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

// The length of the valid UTF-8 sequence at bytes[i], or 0 (the daemon's utf8_sequence).
function utf8Sequence (bytes, i) {
  const c = bytes[i]
  if (c < 0x80) return 1
  const n = (c & 0xe0) === 0xc0 ? 2 : (c & 0xf0) === 0xe0 ? 3 : (c & 0xf8) === 0xf0 ? 4 : 0
  if (n === 0) return 0
  const min = [0, 0, 0x80, 0x800, 0x10000][n] // shortest form: no overlong encodings
  if (i + n > bytes.length) return 0
  let code = c & (0x7f >> n)
  for (let k = 1; k < n; k++) {
    if ((bytes[i + k] & 0xc0) !== 0x80) return 0
    code = (code << 6) | (bytes[i + k] & 0x3f)
  }
  return code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) ? 0 : n
}

// Bytes as the daemon's JSON string: each byte of invalid UTF-8 is \ufffd.
function jsonBytes (bytes) {
  try {
    return jsonText(strictDecoder.decode(bytes))
  } catch {
    let out = '"'
    for (let i = 0; i < bytes.length;) {
      const n = utf8Sequence(bytes, i)
      if (n === 0) { out += '\\ufffd'; i++; continue }
      out += jsonText(strictDecoder.decode(bytes.subarray(i, i + n))).slice(1, -1)
      i += n
    }
    return out + '"'
  }
}

// One event line to every watcher, in the daemon's key order.
function notify (json) {
  for (const socket of watchers) {
    if (socket.destroyed) { watchers.delete(socket); continue }
    if (socket.writableLength > WATCH_BACKLOG_MAX) { watchers.delete(socket); socket.destroy(); continue }
    socket.write(json + '\n')
  }
}

function notifyPeer (kind, peer) {
  if (watchers.size > 0) notify(`{"event":${jsonText(kind)},"peer":${jsonText(String(peer))}}`)
}

function watchEvents (libp2p, identified) {
  libp2p.addEventListener('peer:connect', (evt) => {
    emit(`connected ${evt.detail}`)
    notifyPeer('connected', evt.detail)
  })
  libp2p.addEventListener('peer:disconnect', (evt) => {
    identified.delete(evt.detail.toString())
    emit(`disconnected ${evt.detail}`)
    notifyPeer('disconnected', evt.detail)
  })
  libp2p.addEventListener('peer:identify', (evt) => {
    const { peerId, agentVersion, protocols, protocolVersion } = evt.detail
    identified.set(peerId.toString(), { agent: agentVersion ?? null, protocol_version: protocolVersion ?? null, protocols })
    emit(`identified ${peerId} ${oneLine(agentVersion ?? '-')} ${protocols.join(',')}`)
  })
  libp2p.services.pubsub.addEventListener('message', (evt) => {
    const msg = evt.detail
    // StrictSign: the router rejected anything unsigned or badly signed;
    // report the kind anyway so a test can see what arrived.
    if (msg.type !== 'signed') {
      emit(`unsigned-message ${msg.topic} ${oneLine(decoder.decode(msg.data))}`)
      return
    }
    emit(`message ${msg.topic} ${msg.from} ${oneLine(decoder.decode(msg.data))}`)
    if (watchers.size > 0) {
      notify(`{"event":"message","topic":${jsonText(msg.topic)},"from":${jsonText(String(msg.from))},"data":${jsonBytes(msg.data)}}`)
    }
  })
}

// Reads chat messages off a stream until it ends; answers each with an echo
// when asked to (inbound streams), never answering an echo.
async function chatReadLoop (stream, from, answer) {
  const lp = lpStream(stream, { maxDataLength: CHAT_MESSAGE_MAX })
  try {
    for (;;) {
      const bytes = (await lp.read()).subarray()
      const text = decoder.decode(bytes)
      emit(`chat ${from} ${oneLine(text)}`)
      if (watchers.size > 0) notify(`{"event":"chat","from":${jsonText(from)},"data":${jsonBytes(bytes)}}`)
      if (answer && !text.startsWith(ECHO_PREFIX)) await lp.write(encoder.encode(ECHO_PREFIX + text))
    }
  } catch {
    // end of stream, reset or timeout: the conversation is over
  }
  try { await stream.close() } catch { stream.abort(new Error('chat stream closed')) }
}

function handleChat (libp2p) {
  return libp2p.handle(CHAT_PROTOCOL, (stream, connection) => {
    chatReadLoop(stream, connection.remotePeer.toString(), true)
  })
}

async function sendChat (libp2p, peer, text) {
  const signal = AbortSignal.timeout(COMMAND_TIMEOUT_MS)
  const stream = await libp2p.dialProtocol(peerIdFromString(peer), CHAT_PROTOCOL, { signal })
  const lp = lpStream(stream, { maxDataLength: CHAT_MESSAGE_MAX })
  await lp.write(encoder.encode(text), { signal })
  // Replies, if the peer sends any, are printed as chat lines.
  const timer = setTimeout(() => stream.abort(new Error('chat read timeout')), CHAT_READ_TIMEOUT_MS)
  chatReadLoop(lp.unwrap(), peer, false).finally(() => clearTimeout(timer))
}

// What identify told us about a connected peer, and where it is.
async function describePeer (libp2p, identified, id) {
  const peerId = peerIdFromString(id)
  const connections = libp2p.getConnections(peerId)
  if (connections.length === 0) throw new Error('not connected to that peer')
  const info = identified.get(id)
  if (info === undefined) throw new Error('no identify from that peer yet')
  const connection = connections.map((c) => ({
    addr: c.remoteAddr.toString(), direction: c.direction, encryption: c.encryption ?? null, muxer: c.multiplexer ?? null
  }))
  // certified: identify's signed peer record passed js's checks (envelope
  // signature, record of this peer), so the peer store keeps the envelope
  // and marks the record's addresses certified.
  let certified = false
  try {
    const peer = await libp2p.peerStore.get(peerId)
    certified = peer.peerRecordEnvelope != null && peer.addresses.some((a) => a.isCertified)
  } catch {}
  return { id, connections: connection, ...info, certified }
}

// A yamux-level Ping frame (not /ipfs/ping): what js-yamux's keepalive sends.
async function yamuxPing (libp2p, id) {
  const connection = libp2p.getConnections(peerIdFromString(id))[0]
  if (connection === undefined) throw new Error('not connected to that peer')
  // The muxer is not part of the Connection interface, but libp2p 3 keeps it there.
  if (typeof connection.muxer?.ping !== 'function') throw new Error('this muxer cannot ping')
  return connection.muxer.ping({ signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) })
}

// COUNT pings one after the other, each on a stream of its own: many more
// than a muxer's stream table holds show that the peer frees closed streams.
async function pingMany (libp2p, peerId, count) {
  if (!Number.isInteger(count) || count < 1 || count > PING_COUNT_MAX) {
    throw new Error(`ping count must be 1 to ${PING_COUNT_MAX}`)
  }
  let rtt = 0
  for (let i = 0; i < count; i++) {
    rtt = await libp2p.services.ping.ping(peerId, { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) })
  }
  return { rtt_ms: rtt, count }
}

// Splits "VERB REST" and "VERB ARG REST" the way the daemon does.
function splitCommand (line) {
  const trimmed = line.trim()
  const space = trimmed.indexOf(' ')
  if (space < 0) return { verb: trimmed, rest: '' }
  return { verb: trimmed.slice(0, space), rest: trimmed.slice(space + 1).trim() }
}

function firstWord (rest) {
  const space = rest.indexOf(' ')
  return space < 0 ? { word: rest, tail: '' } : { word: rest.slice(0, space), tail: rest.slice(space + 1) }
}

function makeCommands (libp2p, helia, identified, shutdown) {
  const pubsub = libp2p.services.pubsub
  return {
    ...blockCommands(helia),
    id: async () => ({ id: libp2p.peerId.toString(), addrs: libp2p.getMultiaddrs().map(String) }),
    connect: async (rest) => {
      const conn = await libp2p.dial(multiaddr(rest), { signal: AbortSignal.timeout(COMMAND_TIMEOUT_MS) })
      return { peer: conn.remotePeer.toString() }
    },
    sub: async (rest) => { pubsub.subscribe(rest); return {} },
    unsub: async (rest) => { pubsub.unsubscribe(rest); return {} },
    pub: async (rest) => {
      const { word: topic, tail: text } = firstWord(rest)
      const result = await pubsub.publish(topic, encoder.encode(text))
      return { recipients: result.recipients.length }
    },
    subscribers: async (rest) => ({ peers: pubsub.getSubscribers(rest).map(String) }),
    peers: async () => ({ peers: libp2p.getPeers().map(String) }),
    identify: async (rest) => describePeer(libp2p, identified, rest),
    'yamux-ping': async (rest) => ({ rtt_ms: await yamuxPing(libp2p, rest) }),
    ping: async (rest) => {
      const { word: peer, tail } = firstWord(rest)
      return pingMany(libp2p, peerIdFromString(peer), tail === '' ? 1 : Number(tail))
    },
    msg: async (rest) => {
      const { word: peer, tail: text } = firstWord(rest)
      await sendChat(libp2p, peer, text)
      return {}
    },
    // Subscribes a control-socket client to events (serveControl); on
    // standard input a no-op, since standard output carries them already.
    watch: async () => ({}),
    quit: async () => { setImmediate(shutdown); return {} }
  }
}

async function runCommand (commands, line) {
  const { verb, rest } = splitCommand(line)
  if (verb === '') return null
  const command = commands[verb]
  if (command === undefined) return { ok: false, error: `unknown command: ${verb}` }
  try {
    return { ok: true, ...(await command(rest)) }
  } catch (err) {
    return { ok: false, error: oneLine(String(err?.message ?? err)) }
  }
}

function serveControl (path, commands) {
  if (existsSync(path)) unlinkSync(path)
  const server = createServer((socket) => {
    const lines = createInterface({ input: socket, crlfDelay: Infinity })
    let pending = Promise.resolve()
    lines.on('line', (line) => {
      if (line.length > CONTROL_LINE_MAX) { socket.destroy(); return }
      // Replies go out in the order the commands came in.
      pending = pending.then(async () => {
        const reply = await runCommand(commands, line)
        if (reply === null || socket.destroyed) return
        // Events follow the reply to watch, never precede it.
        if (reply.ok && splitCommand(line).verb === 'watch') watchers.add(socket)
        socket.write(JSON.stringify(reply) + '\n')
      })
    })
    socket.on('close', () => watchers.delete(socket))
    socket.on('error', () => {})
  })
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(path, () => { chmodSync(path, 0o600); resolve(server) })
  })
}

function serveStdin (commands, control, shutdown) {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
  let pending = Promise.resolve()
  lines.on('line', (line) => {
    pending = pending.then(async () => {
      const reply = await runCommand(commands, line)
      if (reply !== null) emit(JSON.stringify(reply))
    })
  })
  // Without a control socket, the end of standard input is the end of the run.
  lines.on('close', () => { if (control === undefined) pending.then(shutdown) })
}

async function main () {
  const options = parseOptions()
  const { libp2p, helia } = await createPeer(options)
  const identified = new Map()
  watchEvents(libp2p, identified)
  await handleChat(libp2p)
  let server = null
  let stopping = false
  const shutdown = async () => {
    if (stopping) return
    stopping = true
    if (server !== null) { server.close(); try { unlinkSync(options.control) } catch {} }
    await (helia ?? libp2p).stop().catch(() => {})
    process.exit(0)
  }
  process.on('SIGINT', shutdown)
  process.on('SIGTERM', shutdown)
  const commands = makeCommands(libp2p, helia, identified, shutdown)
  emit(`peer-id ${libp2p.peerId}`)
  for (const addr of libp2p.getMultiaddrs()) emit(`listen ${addr}`)
  for (const addr of options.peer) {
    const reply = await runCommand(commands, `connect ${addr}`)
    emit(JSON.stringify(reply))
  }
  if (options.control !== undefined) server = await serveControl(options.control, commands)
  serveStdin(commands, options.control, shutdown)
}

main().catch((err) => {
  process.stderr.write(`peer.mjs: ${err?.stack ?? err}\n`)
  process.exit(2)
})
