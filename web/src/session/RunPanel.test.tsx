import { fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { makeRun } from "../test/fixtures";
import { RunPanel, type RunPanelProps } from "./RunPanel";

function setup(overrides: Partial<RunPanelProps> = {}) {
  const props: RunPanelProps = {
    run: null,
    active: false,
    ready: true,
    offline: false,
    onRun: vi.fn(),
    onStop: vi.fn(),
    onStdin: vi.fn(),
    onEof: vi.fn(),
    onClear: vi.fn(),
    canClear: false,
    emptyHint: "Output appears here.",
    children: <div data-testid="output" />,
    ...overrides,
  };
  render(<RunPanel {...props} />);
  return props;
}

describe("RunPanel", () => {
  it("offers Run when idle and connected, with no stdin field", async () => {
    const props = setup();
    expect((screen.getByTestId("stop-button") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.queryByTestId("stdin-input")).toBeNull();
    expect(screen.getByText("Output appears here.")).toBeTruthy();
    await userEvent.click(screen.getByTestId("run-button"));
    expect(props.onRun).toHaveBeenCalledOnce();
  });

  it("cannot run while the runner is unreachable, and says so", () => {
    setup({ ready: false, offline: true });
    expect((screen.getByTestId("run-button") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText("Runner offline")).toBeTruthy();
  });

  it("while a run is active: Stop works and each stdin line is sent with its newline", async () => {
    const props = setup({ run: makeRun({ status: "running", user: "ada" }), active: true });
    expect((screen.getByTestId("run-button") as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText("Running")).toBeTruthy();
    expect(screen.getByText("by ada")).toBeTruthy();
    await userEvent.type(screen.getByTestId("stdin-input"), "42{Enter}");
    expect(props.onStdin).toHaveBeenCalledWith("42\n");
    expect((screen.getByTestId("stdin-input") as HTMLInputElement).value).toBe("");
    await userEvent.click(screen.getByText("EOF"));
    expect(props.onEof).toHaveBeenCalledOnce();
    await userEvent.click(screen.getByTestId("stop-button"));
    expect(props.onStop).toHaveBeenCalledOnce();
  });

  it("sends pasted lines whole, keeping a last unfinished line to edit", () => {
    const props = setup({ run: makeRun({ status: "running" }), active: true });
    const field = screen.getByTestId("stdin-input") as HTMLInputElement;
    const pasteText = (text: string) =>
      fireEvent.paste(field, { clipboardData: { getData: () => text } });
    pasteText("3\r\n1 2 3\n4 5");
    expect(props.onStdin).toHaveBeenCalledWith("3\n1 2 3\n");
    expect(field.value).toBe("4 5");
    // A paste without a newline is an ordinary paste into the field.
    pasteText("6");
    expect(props.onStdin).toHaveBeenCalledOnce();
  });

  it("view-only: Run, Stop and stdin are disabled and say why, while the run is still shown", async () => {
    const props = setup({
      run: makeRun({ status: "running", user: "ada" }),
      active: true,
      viewOnly: true,
    });
    const runButton = screen.getByTestId("run-button") as HTMLButtonElement;
    const stopButton = screen.getByTestId("stop-button") as HTMLButtonElement;
    const stdin = screen.getByTestId("stdin-input") as HTMLInputElement;
    expect(runButton.disabled).toBe(true);
    expect(stopButton.disabled).toBe(true);
    expect(stdin.disabled).toBe(true);
    expect(runButton.title).toMatch(/^View only/);
    expect(stopButton.title).toMatch(/^View only/);
    expect(screen.getByText("Running")).toBeTruthy();
    expect(screen.getByText("by ada")).toBeTruthy();
    await userEvent.click(runButton);
    await userEvent.click(stopButton);
    expect(props.onRun).not.toHaveBeenCalled();
    expect(props.onStop).not.toHaveBeenCalled();
  });

  it("shows how a run ended, with its exceptional conditions", () => {
    setup({
      run: makeRun({
        status: "failed",
        exit_code: 137,
        oom_killed: true,
        output_truncated: true,
        duration_ms: 420,
      }),
      canClear: true,
    });
    const status = screen.getByTestId("run-status");
    expect(status.dataset.status).toBe("failed");
    expect(status.textContent).toContain("Out of memory");
    expect(status.textContent).toContain("420 ms");
    expect(status.textContent).toContain("output truncated");
    expect((screen.getByTestId("clear-output") as HTMLButtonElement).disabled).toBe(false);
  });
});
