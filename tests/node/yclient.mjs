// A stock Yjs client (yjs + y-websocket's WebsocketProvider, unchanged) driven by the
// Python tests: one JSON command per stdin line, one JSON reply per stdout line.
//
//   node yclient.mjs WS_BASE SESSION_ID [NAME]
//
// Commands: {"cmd": "insert", "index", "text"} | {"cmd": "delete", "index", "length"}
//   | {"cmd": "text"} | {"cmd": "meta"} | {"cmd": "wait_synced"}
//   | {"cmd": "wait_text", "text", "timeout_ms"} | {"cmd": "presence"}
//   | {"cmd": "wait_presence", "count", "timeout_ms"} | {"cmd": "cursor", "value"}
//   | {"cmd": "disconnect"}
//   | {"cmd": "connect"} | {"cmd": "close"}
// Every reply carries the command's "id" when given.
import * as readline from 'node:readline'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const [wsBase, sessionId, name = 'node'] = process.argv.slice(2)
const doc = new Y.Doc()
const text = doc.getText('code')
const meta = doc.getMap('meta')
// disableBc: clients in one process must sync through the server, not a BroadcastChannel.
const provider = new WebsocketProvider(wsBase, sessionId, doc, {
  WebSocketPolyfill: WebSocket,
  disableBc: true,
  maxBackoffTime: 500,
})
provider.awareness.setLocalStateField('user', { name, color: '#3366ff' })

const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
let closeCode = null
provider.on('connection-close', (event) => {
  closeCode = event ? event.code : null
  out({ event: 'close', code: closeCode })
})

const until = (check, timeoutMs, onChange) =>
  new Promise((resolve, reject) => {
    if (check()) return resolve()
    const timer = setTimeout(() => { off(); reject(new Error('timeout')) }, timeoutMs)
    const handler = () => { if (check()) { off(); clearTimeout(timer); resolve() } }
    const off = onChange(handler)
  })

const onText = (h) => { text.observe(h); return () => text.unobserve(h) }
const onAwareness = (h) => { provider.awareness.on('change', h); return () => provider.awareness.off('change', h) }
const onSync = (h) => { provider.on('sync', h); return () => provider.off('sync', h) }
const presence = () => [...provider.awareness.getStates().entries()]
  .filter(([id]) => id !== doc.clientID)
  .map(([, s]) => (s.user ? s.user.name : null))
  .filter((n) => n !== null)
  .sort()

async function run(cmd) {
  switch (cmd.cmd) {
    case 'insert': text.insert(Math.min(cmd.index, text.length), cmd.text); return {}
    case 'delete': text.delete(cmd.index, cmd.length); return {}
    case 'text': return { text: text.toString() }
    case 'meta': return { meta: meta.toJSON() }
    case 'set_meta': meta.set(cmd.key, cmd.value); return {}
    case 'wait_synced':
      await until(() => provider.synced, cmd.timeout_ms ?? 10000, onSync)
      return { text: text.toString() }
    case 'wait_text':
      await until(() => text.toString() === cmd.text, cmd.timeout_ms ?? 10000, onText)
      return { text: text.toString() }
    case 'presence': return { presence: presence() }
    case 'cursor': provider.awareness.setLocalStateField('cursor', cmd.value); return {}
    case 'wait_presence':
      await until(() => presence().length === cmd.count, cmd.timeout_ms ?? 10000, onAwareness)
      return { presence: presence() }
    case 'disconnect': provider.disconnect(); return {}
    case 'connect': provider.connect(); return {}
    case 'close_code': return { code: closeCode }
    case 'close':
      provider.destroy()
      setTimeout(() => process.exit(0), 50)
      return {}
    default: throw new Error('unknown command ' + cmd.cmd)
  }
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let cmd
  try { cmd = JSON.parse(line) } catch { return out({ error: 'bad json' }) }
  try {
    out({ id: cmd.id, ok: true, ...(await run(cmd)) })
  } catch (err) {
    out({ id: cmd.id, ok: false, error: String(err && err.message ? err.message : err) })
  }
})
rl.on('close', () => { provider.destroy(); process.exit(0) })
out({ event: 'ready', clientID: doc.clientID })
