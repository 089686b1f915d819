import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { ShareButton } from "./SharePopover";

const EDIT = "http://localhost:3000/s/s1?t=EDIT";
const VIEW = "http://localhost:3000/s/s1?t=VIEW";

describe("ShareButton", () => {
  it("offers both links to an editor, and copies the one asked for", async () => {
    const user = userEvent.setup();
    const onCopied = vi.fn();
    render(
      <ShareButton links={{ edit: EDIT, view: VIEW }} onCopied={onCopied} onCopyFailed={vi.fn()} />,
    );
    expect(screen.queryByTestId("share-popover")).toBeNull();
    await user.click(screen.getByTestId("share-button"));
    const popover = screen.getByTestId("share-popover");
    expect(within(popover).getByText("Can edit")).toBeTruthy();
    expect(within(popover).getByText("View only")).toBeTruthy();
    expect((screen.getByTestId("share-edit-link") as HTMLInputElement).value).toBe(EDIT);
    expect((screen.getByTestId("share-view-link") as HTMLInputElement).value).toBe(VIEW);

    await user.click(screen.getByRole("button", { name: "Copy View only link" }));
    expect(await navigator.clipboard.readText()).toBe(VIEW);
    expect(onCopied).toHaveBeenCalledWith("View only");
    expect(screen.getByRole("button", { name: "Copy View only link" }).textContent).toBe("Copied");
    await user.click(screen.getByRole("button", { name: "Copy Can edit link" }));
    expect(await navigator.clipboard.readText()).toBe(EDIT);
  });

  it("gives a viewer only the view link", async () => {
    const user = userEvent.setup();
    render(<ShareButton links={{ view: VIEW }} onCopied={vi.fn()} onCopyFailed={vi.fn()} />);
    await user.click(screen.getByTestId("share-button"));
    expect(screen.queryByTestId("share-edit-link")).toBeNull();
    expect(screen.queryByText("Can edit")).toBeNull();
    expect((screen.getByTestId("share-view-link") as HTMLInputElement).value).toBe(VIEW);
  });

  it("closes on Escape and on a click elsewhere", async () => {
    const user = userEvent.setup();
    render(
      <div>
        <p>elsewhere</p>
        <ShareButton links={{ edit: EDIT, view: VIEW }} onCopied={vi.fn()} onCopyFailed={vi.fn()} />
      </div>,
    );
    await user.click(screen.getByTestId("share-button"));
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("share-popover")).toBeNull();
    await user.click(screen.getByTestId("share-button"));
    await user.click(screen.getByText("elsewhere"));
    expect(screen.queryByTestId("share-popover")).toBeNull();
  });
});
