import { cleanup, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Peer } from "../client/presence";
import { TopBar } from "./TopBar";

const peers: Peer[] = [
  { clientId: 1, name: "Ada Lovelace", color: "#e5484d", isLocal: false },
  { clientId: 2, name: "Viewer", color: "#0090ff", isLocal: true },
];

function setup(viewOnly: boolean) {
  const props = {
    title: "Pair programming",
    onRename: vi.fn(),
    language: "python",
    languages: [
      {
        id: "python",
        name: "Python",
        version: "3.12",
        image: "p",
        available: true,
        template: "",
      },
      { id: "ruby", name: "Ruby", version: "3.3", image: "r", available: true, template: "" },
    ],
    onLanguage: vi.fn(),
    peers,
    state: "connected" as const,
    viewOnly,
    shareLinks: viewOnly ? { view: "http://h/s/s1?t=V" } : { edit: "http://h/s/s1?t=E" },
    onCopied: vi.fn(),
    onCopyFailed: vi.fn(),
    onSettings: vi.fn(),
    onHelp: vi.fn(),
    onReplay: null,
    onExport: vi.fn(),
  };
  render(<TopBar {...props} />);
  return props;
}

describe("TopBar access", () => {
  it("view-only: a badge explains it; title and language cannot be changed; people still shown", async () => {
    const props = setup(true);
    const badge = screen.getByTestId("view-only-badge");
    expect(badge.textContent).toContain("View only");
    expect(badge.getAttribute("title")).toMatch(/view-only link/);
    const select = screen.getByTestId("language-select") as HTMLSelectElement;
    expect(select.disabled).toBe(true);
    const title = screen.getByRole("button", { name: "Pair programming" }) as HTMLButtonElement;
    expect(title.disabled).toBe(true);
    await userEvent.click(title);
    expect(screen.queryByLabelText("Session title")).toBeNull();
    expect(props.onRename).not.toHaveBeenCalled();
    const names = [...screen.getByTestId("presence").children].map((c) =>
      c.getAttribute("data-name"),
    );
    expect(names).toEqual(["Ada Lovelace", "Viewer"]);
  });

  it("editor: no badge, and the title and language can be changed", async () => {
    const props = setup(false);
    expect(screen.queryByTestId("view-only-badge")).toBeNull();
    await userEvent.selectOptions(screen.getByTestId("language-select"), "ruby");
    expect(props.onLanguage).toHaveBeenCalledWith("ruby");
    await userEvent.click(screen.getByRole("button", { name: "Pair programming" }));
    const input = screen.getByLabelText("Session title");
    await userEvent.clear(input);
    await userEvent.type(input, "Renamed{Enter}");
    expect(props.onRename).toHaveBeenCalledWith("Renamed");
  });

  it("anyone who can read the session can download its history", async () => {
    for (const viewOnly of [true, false]) {
      const props = setup(viewOnly);
      await userEvent.click(screen.getByRole("button", { name: "Download the history" }));
      expect(props.onExport).toHaveBeenCalledTimes(1);
      cleanup();
    }
  });
});
