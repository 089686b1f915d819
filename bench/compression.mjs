// Compression bench driver: stock y-websocket clients (ws offers permessage-deflate).
//   node bench/compression.mjs typing WS_BASE ROOM N UPDATES INTERVAL_MS SOURCE_FILE
//     one typist types SOURCE_FILE's characters one per update (and moves its cursor
//     in awareness, as y-codemirror does); N receivers time each update.
//   node bench/compression.mjs sync WS_BASE ROOM JOINS
//     JOINS clients join one after the other; each is timed until synced.
// Prints one JSON line.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
const require = createRequire(new URL('../tests/node/package.json', import.meta.url))
const WebSocket = require('ws')
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')
process.setMaxListeners(0)

const [mode, wsBase, room, ...rest] = process.argv.slice(2)
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

function client(name) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  provider.awareness.setLocalStateField('user', { name, color: '#3366ff' })
  return { doc, provider, text: doc.getText('code') }
}
const synced = (c) => new Promise((resolve) => c.provider.synced ? resolve() : c.provider.once('sync', resolve))
const pct = (xs, p) => xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : null

if (mode === 'typing') {
  const [nArg, updatesArg, intervalArg, source] = rest
  const n = Number(nArg), updates = Number(updatesArg), interval = Number(intervalArg)
  const chars = [...readFileSync(source, 'utf8')]
  const typist = client('typist')
  await synced(typist)
  const receivers = []
  for (let i = 0; i < n; i++) { receivers.push(client(`r${i}`)); await sleep(5) }
  await Promise.all(receivers.map(synced))
  await sleep(500)
  const sentAt = []
  const latencies = []
  for (const r of receivers) {
    let k = 0 // the k-th remote update here is the typist's k-th keystroke
    r.text.observe(() => { const t = sentAt[k++]; if (t !== undefined) latencies.push(performance.now() - t) })
  }
  console.log(JSON.stringify({ event: 'ready' }))
  await sleep(300)
  const base = typist.text.length
  for (let i = 0; i < updates; i++) {
    sentAt.push(performance.now())
    typist.text.insert(base + i, chars[i % chars.length])
    typist.provider.awareness.setLocalStateField('cursor', { anchor: base + i + 1, head: base + i + 1 })
    await sleep(interval)
  }
  const deadline = performance.now() + 10000
  while (latencies.length < updates * n && performance.now() < deadline) await sleep(50)
  latencies.sort((a, b) => a - b)
  console.log(JSON.stringify({
    samples: latencies.length, missing: updates * n - latencies.length,
    p50_ms: pct(latencies, 0.5), p99_ms: pct(latencies, 0.99),
  }))
  for (const c of [typist, ...receivers]) c.provider.destroy()
} else if (mode === 'sync') {
  const joins = Number(rest[0])
  const times = []
  let length = null
  for (let i = 0; i < joins; i++) {
    const t0 = performance.now()
    const c = client(`j${i}`)
    await synced(c)
    times.push(performance.now() - t0)
    length = c.text.length
    c.provider.destroy()
    await sleep(100)
  }
  times.sort((a, b) => a - b)
  console.log(JSON.stringify({ joins, length, p50_ms: pct(times, 0.5), max_ms: times[times.length - 1] }))
}
setTimeout(() => process.exit(0), 100)
