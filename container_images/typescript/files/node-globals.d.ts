// The Node.js globals a playground program needs, for tsc without @types/node
// (Debian ships no @types/node package). Programs compile with `--lib es2020`.
declare const console: {
  log(...data: any[]): void;
  error(...data: any[]): void;
  warn(...data: any[]): void;
  info(...data: any[]): void;
  debug(...data: any[]): void;
  table(...data: any[]): void;
};
declare const process: any;
declare const require: (id: string) => any;
declare const module: any;
declare const Buffer: any;
declare const __dirname: string;
declare function setTimeout(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function setInterval(callback: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function setImmediate(callback: (...args: any[]) => void, ...args: any[]): any;
declare function clearTimeout(handle: any): void;
declare function clearInterval(handle: any): void;
