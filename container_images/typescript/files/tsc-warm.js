// A TypeScript compiler that loads itself and the standard library while the
// container waits for its program, then compiles `main.ts` the moment asked: the
// language's warm compiler (runners/sandbox.py has the protocol).
//   node tsc-warm.js FLAG... FILE...     (tsc's own command line)
// Waits for the FIFO `/tmp/.warm-go` (the run writes to it once the source is in
// place), writes the diagnostics to stderr as tsc does, writes tsc's exit code to the
// FIFO `/tmp/.warm-done`, and exits: the program runs without it. Runs as the run's
// user inside its container, before any of the run's code; stdin is not its own.
'use strict'
const fs = require('fs')
const ts = require('typescript')

const parsed = ts.parseCommandLine(process.argv.slice(2))
const options = parsed.options
const host = ts.createCompilerHost(options)
// Library files are parsed once, here, and reused by the real compile.
const library = new Map()
const getSourceFile = host.getSourceFile
host.getSourceFile = (name, ...rest) => {
  if (!name.includes('/lib.') && !name.startsWith('/opt/')) return getSourceFile.call(host, name, ...rest)
  if (!library.has(name)) library.set(name, getSourceFile.call(host, name, ...rest))
  return library.get(name)
}

let warm
try {
  // A program like the real one, with an empty main file: loads and binds the library.
  const empty = '/tmp/.tsc-warm.ts'
  fs.writeFileSync(empty, 'export {}\n')
  const files = [empty, ...parsed.fileNames.slice(1)]
  warm = ts.createProgram(files, { ...options, noEmit: true }, host)
  ts.getPreEmitDiagnostics(warm)
} catch {
  warm = undefined // compile cold, still correct
}

fs.readFileSync('/tmp/.warm-go') // blocks until the run asks
let code = 1
try {
  const program = ts.createProgram(parsed.fileNames, options, host, warm)
  const emitted = program.emit()
  const diagnostics = ts.sortAndDeduplicateDiagnostics([
    ...ts.getPreEmitDiagnostics(program),
    ...emitted.diagnostics,
  ])
  if (diagnostics.length) {
    process.stderr.write(ts.formatDiagnostics(diagnostics, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => process.cwd(),
      getNewLine: () => '\n',
    }))
  }
  // tsc's own rule: 1 when errors stopped the output, 2 when it was written anyway.
  code = emitted.emitSkipped ? 1 : diagnostics.length ? 2 : 0
} catch (err) {
  process.stderr.write(`tsc: ${err && err.stack ? err.stack : err}\n`)
}
// The FIFO stays open until this process is gone: the compile step reads to its end,
// so the program starts only once this process's memory is given back.
fs.writeSync(fs.openSync('/tmp/.warm-done', 'w'), `${code}\n`)
process.exit(0)
