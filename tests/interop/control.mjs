// control.mjs: a one-shot client for a Unix control socket (swarmlab-node's
// --control, or peer.mjs's): sends one command line, prints the one JSON
// reply line, and exits. bash cannot talk to Unix sockets and neither socat
// nor python3 can be relied on, so the harness uses this.
//
//   node control.mjs [--timeout MS] SOCKET COMMAND...
//
// Exit status: 0 a reply came, 2 no reply (connection refused, closed, or
// the timeout passed), 64 bad usage. The reply is printed as it came.
import { connect } from 'node:net'

const DEFAULT_TIMEOUT_MS = 15_000
const REPLY_MAX = 1 << 20 // a longer reply is a broken peer, not a reply

function usage () {
  process.stderr.write('usage: node control.mjs [--timeout MS] SOCKET COMMAND...\n')
  process.exit(64)
}

function parse (argv) {
  let timeout = DEFAULT_TIMEOUT_MS
  if (argv[0] === '--timeout') {
    timeout = Number(argv[1])
    if (!Number.isFinite(timeout) || timeout <= 0) usage()
    argv = argv.slice(2)
  }
  if (argv.length < 2) usage()
  return { timeout, socket: argv[0], command: argv.slice(1).join(' ') }
}

function fail (socket, why) {
  process.stderr.write(`control.mjs: ${why}\n`)
  socket.destroy()
  process.exit(2)
}

function main () {
  const { timeout, socket: path, command } = parse(process.argv.slice(2))
  const socket = connect(path)
  const timer = setTimeout(() => fail(socket, `no reply to "${command}" within ${timeout} ms`), timeout)
  let buffered = ''
  socket.setEncoding('utf8')
  socket.on('connect', () => socket.write(command + '\n'))
  socket.on('data', (chunk) => {
    buffered += chunk
    const end = buffered.indexOf('\n')
    if (end >= 0) {
      clearTimeout(timer)
      process.stdout.write(buffered.slice(0, end) + '\n')
      socket.end()
      process.exit(0)
    }
    if (buffered.length > REPLY_MAX) fail(socket, 'reply too long')
  })
  socket.on('error', (err) => fail(socket, `${path}: ${err.message}`))
  socket.on('close', () => fail(socket, `${path}: closed before replying to "${command}"`))
}

main()
