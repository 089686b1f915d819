// Many stock y-websocket clients in one Node process, driven by a Python bench script.
//   node bench/clients.mjs '{"ws", "rooms": [...], "perRoom", "rate", "durationS", "joinGapMs",
//                            "maxChars"?, "typing"?: "prepend" | "forward"}'
// Every client of a room lives in this process, so one clock times each update from
// its author to every other client of the room. stdout: one JSON line per event.
// stdin commands (one per line):
//   start  (again and again: each call measures afresh) each client appends a marker `<gid.seq.t>` `rate` times a second for
//          `durationS`, then waits (<= 15 s) for every marker to reach every other
//          client of its room; prints {"event":"done", sent, expected, received, hist, ...}
//          (hist: latency histogram in 0.1 ms buckets)
//   stats  prints {"event":"stats", connected, closes}
//   leave  destroys every provider, prints {"event":"left"}
//   quit   exits
import * as readline from 'node:readline'
import { createRequire } from 'node:module'
const require = createRequire(new URL('../tests/node/package.json', import.meta.url))
const WebSocket = require('ws')
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')

const config = JSON.parse(process.argv[2])
process.setMaxListeners(0) // every provider adds an 'exit' listener
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const clients = []
const closes = {}
const hist = new Map()
let received = 0
let sent = 0
let gid = 0
const MARK = /<(\d+)\.(\d+)\.(\d+)>/g

function client(room, index) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(config.ws, room, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  })
  provider.awareness.setLocalStateField('user', { name: `bench-${gid}`, color: '#3366ff' })
  const c = {
    id: gid++, room, index, doc, provider, text: doc.getText('code'), counting: false, cursor: null,
  }
  provider.on('connection-close', (event) => {
    const code = event ? String(event.code) : 'none'
    closes[code] = (closes[code] || 0) + 1
  })
  // Markers are read from each remote update itself, not from `event.delta`: a text
  // event's delta walks the whole item list, tombstones included, so with 200 clients
  // in this one process the measuring would cost more with every minute of typing and
  // become the bottleneck it is meant to measure (seen against the reference server too).
  doc.on('update', (update, origin, _doc, tr) => {
    if (!c.counting || tr.local) return
    const now = Math.round(performance.now() * 10)
    for (const struct of Y.decodeUpdate(update).structs) {
      const str = struct.content && struct.content.str
      if (typeof str !== 'string') continue
      for (const m of str.matchAll(MARK)) {
        const bucket = now - Number(m[3])
        hist.set(bucket, (hist.get(bucket) || 0) + 1)
        received++
      }
    }
  })
  return c
}

const synced = (c) => new Promise((resolve) => {
  if (c.provider.synced) return resolve()
  c.provider.once('sync', resolve)
})

const t0 = performance.now()
for (const room of config.rooms) {
  for (let i = 0; i < config.perRoom; i++) {
    clients.push(client(room, i))
    if (config.joinGapMs > 0) await sleep(config.joinGapMs)
  }
}
const syncDeadline = performance.now() + 120000
await Promise.race([Promise.all(clients.map(synced)), sleep(120000)])
const notSynced = clients.filter((c) => !c.provider.synced).length
out({ event: 'ready', clients: clients.length, not_synced: notSynced, connect_ms: performance.now() - t0, timed_out: performance.now() >= syncDeadline })

async function type() {
  const peersPerRoom = config.perRoom - 1
  hist.clear()
  received = 0
  sent = 0
  for (const c of clients) c.counting = true
  const end = performance.now() + config.durationS * 1000
  const period = 1000 / config.rate
  await Promise.all(clients.map(async (c) => {
    await sleep(Math.random() * period) // spread the clients over the period
    let seq = 0
    let next = performance.now()
    while (performance.now() < end) {
      const t = Math.round(performance.now() * 10)
      const marker = `<${c.id}.${seq++}.${t}>`
      if (config.typing === 'forward') {
        // Right after this client's own last keystroke, as a person types: Yjs joins
        // one author's consecutive keystrokes into one item, so the history grows with
        // the runs of typing, not with every keystroke. (Finding the cursor walks the
        // items to its left: cheap while the runs are few.)
        const at = c.cursor && Y.createAbsolutePositionFromRelativePosition(c.cursor, c.doc)
        const index = at ? at.index : 0
        c.text.insert(index, marker)
        c.cursor = Y.createRelativePositionFromTypeIndex(c.text, index + marker.length, -1)
      } else {
        // At the start: finding an index walks the item list from the nearest search
        // marker, which grows with the history; index 0 stays cheap for the whole run.
        // Every keystroke stays an item of its own.
        c.text.insert(0, marker)
      }
      sent++
      // maxChars: keep the document bounded (a soak measures leaks, not growing documents)
      if (config.maxChars > 0 && c.index === 0 && c.text.length > config.maxChars) {
        const keep = Math.floor(config.maxChars / 2)
        c.text.delete(keep, c.text.length - keep)
      }
      next += period
      await sleep(Math.max(0, next - performance.now()))
    }
  }))
  const expected = sent * peersPerRoom
  const deadline = performance.now() + 15000
  while (received < expected && performance.now() < deadline) await sleep(50)
  for (const c of clients) c.counting = false
  out({
    event: 'done',
    sent,
    expected,
    received,
    missing: expected - received,
    connected: clients.filter((c) => c.provider.wsconnected).length,
    closes,
    hist: Object.fromEntries(hist),
  })
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const cmd = line.trim()
  if (cmd === 'start') await type()
  else if (cmd === 'stats') {
    out({ event: 'stats', connected: clients.filter((c) => c.provider.wsconnected).length, closes })
  } else if (cmd === 'leave') {
    for (const c of clients) c.provider.destroy()
    await sleep(200)
    out({ event: 'left' })
  } else if (cmd === 'quit') {
    for (const c of clients) c.provider.destroy()
    setTimeout(() => process.exit(0), 100)
  }
})
rl.on('close', () => process.exit(0))
