import { describe, expect, it, vi } from "vitest";
import { errorToast } from "./sessionActions";

describe("errorToast", () => {
  it("names a refused run-channel command in words, with the server's reason", () => {
    const toast = vi.fn();
    errorToast(toast, "forbidden", "the view-only link cannot run code");
    expect(toast).toHaveBeenCalledWith(
      "error",
      "Not allowed with this link",
      "the view-only link cannot run code",
    );
  });
});
