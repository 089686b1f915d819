import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { AdminTokenForm } from "./AdminTokenForm";

describe("AdminTokenForm", () => {
  it("explains the protection and hands over the trimmed token", async () => {
    const onSave = vi.fn();
    render(<AdminTokenForm rejected={false} onSave={onSave} />);
    expect(screen.getByText("This playground is protected")).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
    const unlock = screen.getByRole("button", { name: "Unlock" }) as HTMLButtonElement;
    expect(unlock.disabled).toBe(true);
    await userEvent.type(screen.getByTestId("admin-token-input"), "  s3cret {Enter}");
    expect(onSave).toHaveBeenCalledWith("s3cret");
  });

  it("says so when the server refused the token", () => {
    render(<AdminTokenForm rejected onSave={vi.fn()} />);
    expect(screen.getByRole("alert").textContent).toMatch(/did not accept/);
  });
});
