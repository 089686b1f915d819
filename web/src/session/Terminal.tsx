import { FitAddon } from "@xterm/addon-fit";
import { type ITheme, Terminal as XTerm } from "@xterm/xterm";
import "@xterm/xterm/css/xterm.css";
import { useEffect, useRef } from "react";
import type { TerminalSink } from "./terminalSink";

const THEMES: Record<"light" | "dark", ITheme> = {
  dark: {
    background: "#0d1117",
    foreground: "#d7dde5",
    cursor: "#0d1117",
    selectionBackground: "#2f4a70",
    red: "#ff7b72",
    green: "#3fb950",
    yellow: "#d29922",
    blue: "#58a6ff",
    // What people type into the program.
    cyan: "#39c5cf",
    // Our own grey lines (who ran what, the finish line's figures): 6:1 on the background.
    brightBlack: "#8b949e",
  },
  light: {
    background: "#fbfcfd",
    foreground: "#1f2328",
    cursor: "#fbfcfd",
    selectionBackground: "#b6d4fe",
    red: "#cf222e",
    green: "#1a7f37",
    yellow: "#9a6700",
    blue: "#0969da",
    cyan: "#1b7c83",
    black: "#1f2328",
    brightBlack: "#656d76",
  },
};

/** The xterm.js output terminal, fed by a `TerminalSink`. Read-only: stdin has its own field. */
export function Terminal({
  sink,
  theme,
  testId,
}: {
  sink: TerminalSink;
  theme: "light" | "dark";
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const term = useRef<XTerm | null>(null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: the theme is applied below without recreating the terminal.
  useEffect(() => {
    if (!host.current) return;
    const xterm = new XTerm({
      convertEol: false,
      disableStdin: true,
      cursorBlink: false,
      cursorStyle: "bar",
      cursorInactiveStyle: "none",
      drawBoldTextInBrightColors: false,
      fontFamily: "'JetBrains Mono', ui-monospace, monospace",
      fontSize: 13,
      lineHeight: 1.35,
      scrollback: 20_000,
      theme: THEMES[theme],
    });
    const fit = new FitAddon();
    xterm.loadAddon(fit);
    xterm.open(host.current);
    const refit = () => {
      try {
        fit.fit();
      } catch {
        // Not laid out yet (hidden panel): the next resize fits it.
      }
    };
    refit();
    const observer = new ResizeObserver(refit);
    observer.observe(host.current);
    // Rows get taller when the web font arrives after the terminal measured its cells
    // with a fallback (it loads once text is first drawn in it). The host keeps its size,
    // so nothing above fires: without a fit the last rows hang out of the frame, over the
    // stdin bar. The fit addon reads the same private dimensions.
    let cellHeight = renderedCellHeight(xterm);
    const onRender = xterm.onRender(() => {
      const now = renderedCellHeight(xterm);
      if (now !== cellHeight) {
        cellHeight = now;
        refit();
      }
    });
    const target = {
      write: (d: string) => xterm.write(d),
      clear: () => xterm.clear(),
      reset: () => xterm.reset(),
    };
    sink.attach(target);
    term.current = xterm;
    return () => {
      onRender.dispose();
      observer.disconnect();
      sink.detach(target);
      xterm.dispose();
      term.current = null;
    };
  }, [sink]);

  useEffect(() => {
    if (term.current) term.current.options.theme = THEMES[theme];
  }, [theme]);

  return <div className="terminal-host" ref={host} data-testid={testId} />;
}

function renderedCellHeight(xterm: XTerm): number | undefined {
  const core = (xterm as unknown as { _core?: RenderCore })._core;
  return core?._renderService?.dimensions?.css?.cell?.height;
}

interface RenderCore {
  _renderService?: { dimensions?: { css?: { cell?: { height?: number } } } };
}
