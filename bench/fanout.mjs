// Fan-out latency: one typist, N stock y-websocket clients in one room.
// Every client lives in this process (one clock), each with its own WebSocket.
//   node bench/fanout.mjs WS_BASE ROOM N UPDATES INTERVAL_MS [WARMUP]
// The first WARMUP updates (default 0) are typed the same way and timed apart: this
// process's own JIT and first collections slow the first few dozen updates against
// any server, and with 60 clients that start-up alone filled the p99.
// Prints one JSON line: {"n", "samples", "p50_ms", "p99_ms", "max_ms", "missing",
// "latencies_ms", "warmup_latencies_ms"} (every sample, sorted, so that runs can be
// pooled; the percentiles are of the measured updates only).
import { createRequire } from 'node:module'
const require = createRequire(new URL('../tests/node/package.json', import.meta.url))
const WebSocket = require('ws')
const Y = require('yjs')
const { WebsocketProvider } = require('y-websocket')

const [wsBase, room, nArg, updatesArg, intervalArg, warmupArg = '0'] = process.argv.slice(2)
const n = Number(nArg), updates = Number(updatesArg), interval = Number(intervalArg)
const warmup = Number(warmupArg)

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
const warmupLatencies = []
for (const r of receivers) {
  r.text.observe((event) => {
    const now = performance.now()
    for (const d of event.delta) {
      if (typeof d.insert === 'string') {
        for (const m of d.insert.matchAll(/<(\d+)>/g)) {
          const i = Number(m[1])
          const t = sentAt.get(i)
          if (t !== undefined) (i < warmup ? warmupLatencies : latencies).push(now - t)
        }
      }
    }
  })
}
for (let i = 0; i < warmup + updates; i++) {
  sentAt.set(i, performance.now())
  typist.text.insert(typist.text.length, `<${i}>`)
  await new Promise((r) => setTimeout(r, interval))
}
const expected = (warmup + updates) * n
const received = () => latencies.length + warmupLatencies.length
const deadline = performance.now() + 10000
while (received() < expected && performance.now() < deadline) {
  await new Promise((r) => setTimeout(r, 50))
}
latencies.sort((a, b) => a - b)
warmupLatencies.sort((a, b) => a - b)
const rounded = (xs) => xs.map((x) => Math.round(x * 1000) / 1000)
const pct = (p) => latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null
const line = JSON.stringify({
  n, samples: latencies.length, p50_ms: pct(0.5), p99_ms: pct(0.99),
  max_ms: latencies[latencies.length - 1] ?? null, missing: expected - received(),
  latencies_ms: rounded(latencies), warmup_latencies_ms: rounded(warmupLatencies),
}) + '\n'
for (const c of [typist, ...receivers]) c.provider.destroy()
// Exit once the whole line has gone into the pipe. Exiting on a timer cut the line off
// at 64 KiB (a pipe's worth) when the reader was slow: 60 clients' latencies are ~130 KB.
process.stdout.write(line, () => process.exit(0))
