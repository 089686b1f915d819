import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { Session } from "../client/types";
import { makeRun } from "../test/fixtures";
import { SessionList } from "./SessionList";

const NOW = 1_700_000_000_000;
const sessions: Session[] = [
  {
    id: "a1",
    title: "Fibonacci",
    language: "python",
    created_at: NOW - 90_000,
    updated_at: NOW - 60_000,
  },
  {
    id: "b2",
    title: "",
    language: "rust",
    created_at: NOW - 7_200_000,
    updated_at: NOW - 7_200_000,
    last_run: makeRun({ status: "failed", exit_code: 1 }),
  },
];

describe("SessionList", () => {
  it("links each session and shows its language and last activity", () => {
    render(
      <SessionList
        sessions={sessions}
        languageNames={{ python: "Python" }}
        onDelete={vi.fn()}
        now={NOW}
      />,
    );
    const rows = screen.getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    const first = within(rows[0] as HTMLElement);
    expect(first.getByRole("link").getAttribute("href")).toBe("/s/a1");
    expect(first.getByText("Python")).toBeTruthy();
    expect(first.getByText("1 min ago")).toBeTruthy();
    const second = within(rows[1] as HTMLElement);
    expect(second.getByText("Untitled session")).toBeTruthy();
    expect(second.getByText("Rust")).toBeTruthy();
    expect(second.getByTitle("Last run: Exit code 1")).toBeTruthy();
  });

  it("deletes only after confirmation", async () => {
    const onDelete = vi.fn(async () => {});
    render(<SessionList sessions={sessions} languageNames={{}} onDelete={onDelete} now={NOW} />);
    await userEvent.click(screen.getByLabelText("Delete Fibonacci"));
    expect(screen.getByRole("dialog").textContent).toContain("Fibonacci");
    await userEvent.click(screen.getByText("Cancel"));
    expect(onDelete).not.toHaveBeenCalled();
    expect(screen.queryByRole("dialog")).toBeNull();

    await userEvent.click(screen.getByLabelText("Delete Fibonacci"));
    await userEvent.click(within(screen.getByRole("dialog")).getByText("Delete"));
    expect(onDelete).toHaveBeenCalledWith(sessions[0]);
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("keeps the dialog open while the delete is in flight", async () => {
    let finish: () => void = () => {};
    const onDelete = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    render(<SessionList sessions={sessions} languageNames={{}} onDelete={onDelete} now={NOW} />);
    await userEvent.click(screen.getByLabelText("Delete Fibonacci"));
    await userEvent.click(within(screen.getByRole("dialog")).getByText("Delete"));
    expect(screen.getByText("Deleting…")).toBeTruthy();
    finish();
    await vi.waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
  });
});
