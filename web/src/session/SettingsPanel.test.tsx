import { fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { SettingsPanel } from "./SettingsPanel";

function setup(memoryLimit: number | undefined = undefined) {
  const onMemoryLimit = vi.fn();
  const onTimeLimit = vi.fn();
  render(
    <SettingsPanel
      limits={{ time_limit_s: 10, memory_mb: 256 }}
      timeLimit={undefined}
      onTimeLimit={onTimeLimit}
      memoryLimit={memoryLimit}
      onMemoryLimit={onMemoryLimit}
      prefs={{ name: "Ada", color: "#e11d48", theme: "dark", tourDone: true }}
      onPrefs={() => {}}
      onClose={() => {}}
    />,
  );
  return { onMemoryLimit, onTimeLimit };
}

function commit(testId: string, value: string) {
  const field = screen.getByTestId(testId) as HTMLInputElement;
  fireEvent.change(field, { target: { value } });
  fireEvent.keyDown(field, { key: "Enter" });
  return field;
}

describe("SettingsPanel", () => {
  it("sets the session's memory limit between the floor and the server's limit", () => {
    const { onMemoryLimit } = setup();
    expect(commit("memory-limit-input", "64").value).toBe("64");
    expect(commit("memory-limit-input", "8").value).toBe("16");
    expect(commit("memory-limit-input", "4096").value).toBe("256");
    expect(commit("memory-limit-input", "100.6").value).toBe("101");
    expect(onMemoryLimit.mock.calls.map((c) => c[0])).toEqual([64, 16, 256, 101]);
  });

  it("clears a limit back to the server's, and puts back what is not a number", () => {
    const { onMemoryLimit, onTimeLimit } = setup(64);
    expect(commit("memory-limit-input", "-3").value).toBe("64");
    expect(onMemoryLimit).not.toHaveBeenCalled();
    commit("memory-limit-input", "");
    expect(onMemoryLimit).toHaveBeenCalledWith(null);
    expect(commit("time-limit-input", "2.5").value).toBe("2.5");
    expect(onTimeLimit).toHaveBeenCalledWith(2.5);
  });
});
