// Fan-out latency: one typist, N stock y-websocket clients in one room.
// Every client lives in this process (one clock), each with its own WebSocket.
//   node bench/fanout.mjs WS_BASE ROOM N UPDATES INTERVAL_MS
// Prints one JSON line: {"n", "samples", "p50_ms", "p99_ms", "max_ms", "missing",
// "latencies_ms"} (every sample, sorted, so that runs can be pooled).
import { createRequire } from 'node:module'
const require = createRequire(new URL('../tests/node/package.json', import.meta.url))
const WebSocket = require('ws')
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')

const [wsBase, room, nArg, updatesArg, intervalArg] = process.argv.slice(2)
const n = Number(nArg), updates = Number(updatesArg), interval = Number(intervalArg)

function client() {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsBase, room, doc, { WebSocketPolyfill: WebSocket, disableBc: true })
  return { doc, provider, text: doc.getText('code') }
}
const synced = (c) => new Promise((resolve) => c.provider.synced ? resolve() : c.provider.once('sync', resolve))

const typist = client()
await synced(typist)
const receivers = []
for (let i = 0; i < n; i++) {
  receivers.push(client())
  await new Promise((r) => setTimeout(r, 5)) // joins spaced apart, as the reference needs
}
await Promise.all(receivers.map(synced))
await new Promise((r) => setTimeout(r, 500))

const sentAt = new Map()
const latencies = []
for (const r of receivers) {
  r.text.observe((event) => {
    const now = performance.now()
    for (const d of event.delta) {
      if (typeof d.insert === 'string') {
        for (const m of d.insert.matchAll(/<(\d+)>/g)) {
          const t = sentAt.get(Number(m[1]))
          if (t !== undefined) latencies.push(now - t)
        }
      }
    }
  })
}
for (let i = 0; i < updates; i++) {
  sentAt.set(i, performance.now())
  typist.text.insert(typist.text.length, `<${i}>`)
  await new Promise((r) => setTimeout(r, interval))
}
const expected = updates * n
const deadline = performance.now() + 10000
while (latencies.length < expected && performance.now() < deadline) {
  await new Promise((r) => setTimeout(r, 50))
}
latencies.sort((a, b) => a - b)
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null
console.log(JSON.stringify({
  n, samples: latencies.length, p50_ms: pct(0.5), p99_ms: pct(0.99),
  max_ms: latencies[latencies.length - 1] ?? null, missing: expected - latencies.length,
  latencies_ms: latencies.map((x) => Math.round(x * 1000) / 1000),
}))
for (const c of [typist, ...receivers]) c.provider.destroy()
setTimeout(() => process.exit(0), 100)
