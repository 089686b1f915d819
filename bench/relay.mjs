// A bare relay: the least a server can do for the fan-out benchmark's clients, as its
// floor. It keeps no document: a client's sync step 1 gets an empty step 2 back (so the
// client counts as synced), and every other message goes, byte for byte, to the other
// clients of the same room. Right only while every client joins before anyone types, as
// in bench/fanout.mjs; never a server for anything else.
//   HOST=127.0.0.1 PORT=1234 node bench/relay.mjs
import { createRequire } from 'node:module'
const require = createRequire(new URL('../tests/node/package.json', import.meta.url))
const { WebSocketServer } = require('ws')
const http = require('node:http')

// messageSync, messageYjsSyncStep2, an update of two bytes: no structs, no deletions.
const EMPTY_STEP2 = Uint8Array.of(0, 1, 2, 0, 0)
const rooms = new Map()

const server = http.createServer((_, res) => res.end('relay'))
const wss = new WebSocketServer({ server, perMessageDeflate: false })
wss.on('connection', (ws, req) => {
  const room = req.url
  let members = rooms.get(room)
  if (members === undefined) rooms.set(room, (members = new Set()))
  members.add(ws)
  ws.on('message', (data) => {
    if (data[0] === 0 && data[1] === 0) {
      ws.send(EMPTY_STEP2)
      return
    }
    for (const other of members) {
      if (other !== ws && other.readyState === 1) other.send(data)
    }
  })
  ws.on('close', () => {
    members.delete(ws)
    if (members.size === 0) rooms.delete(room)
  })
})
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
