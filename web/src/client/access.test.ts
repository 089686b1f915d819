import { describe, expect, it } from "vitest";
import {
  absoluteLink,
  adminToken,
  authHeaders,
  forgetToken,
  linkToken,
  rememberedToken,
  rememberToken,
  setAdminToken,
} from "./access";
import { runChannelUrl, sessionPath, shareLink } from "./urls";

describe("link tokens", () => {
  it("reads t from a page's search or from a share link, and nothing else", () => {
    expect(linkToken("?t=abc-_1")).toBe("abc-_1");
    expect(linkToken("/s/x?foo=1&t=tok#frag")).toBe("tok");
    expect(linkToken("")).toBeNull();
    expect(linkToken("?t=")).toBeNull();
    expect(linkToken("?token=abc")).toBeNull();
  });

  it("puts the token into session paths, run-channel URLs and share links, escaped", () => {
    expect(sessionPath("s1")).toBe("/s/s1");
    expect(sessionPath("s1", null)).toBe("/s/s1");
    expect(sessionPath("s1", "a b&c")).toBe("/s/s1?t=a%20b%26c");
    expect(linkToken(sessionPath("s1", "a b&c"))).toBe("a b&c");
    expect(runChannelUrl("ws://h", "s1", "tok")).toBe("ws://h/ws/run/s1?t=tok");
    expect(runChannelUrl("ws://h", "s1")).toBe("ws://h/ws/run/s1");
    expect(shareLink("s1", "tok", { origin: "https://p.example" })).toBe(
      "https://p.example/s/s1?t=tok",
    );
  });

  it("makes the server's link paths absolute on the page's origin", () => {
    expect(absoluteLink("/s/s1?t=V", { origin: "http://127.0.0.1:8000" })).toBe(
      "http://127.0.0.1:8000/s/s1?t=V",
    );
  });

  it("sends the link token and the admin token in their own headers", () => {
    expect(authHeaders({})).toEqual({});
    expect(authHeaders({ token: "L" })).toEqual({ "x-playground-token": "L" });
    expect(authHeaders({ token: null, admin: "A" })).toEqual({ authorization: "Bearer A" });
  });
});

describe("remembered tokens", () => {
  it("keeps one token per session, and a view link never replaces an edit link", () => {
    expect(rememberedToken("s1")).toBeNull();
    rememberToken("s1", "EDIT", "edit");
    rememberToken("s2", "VIEW2", "view");
    rememberToken("s1", "VIEW", "view");
    expect(rememberedToken("s1")).toEqual({ token: "EDIT", role: "edit" });
    expect(rememberedToken("s2")).toEqual({ token: "VIEW2", role: "view" });
    // A later edit link upgrades a view link.
    rememberToken("s2", "EDIT2", "edit");
    expect(rememberedToken("s2")).toEqual({ token: "EDIT2", role: "edit" });
    forgetToken("s1");
    expect(rememberedToken("s1")).toBeNull();
    expect(rememberedToken("s2")?.token).toBe("EDIT2");
  });

  it("survives garbage in storage", () => {
    localStorage.setItem("playground.sessions", "{not json");
    expect(rememberedToken("s1")).toBeNull();
    rememberToken("s1", "E", "edit");
    expect(rememberedToken("s1")?.token).toBe("E");
  });

  it("stores and clears the admin token", () => {
    expect(adminToken()).toBeNull();
    setAdminToken("secret");
    expect(adminToken()).toBe("secret");
    setAdminToken(null);
    expect(adminToken()).toBeNull();
  });
});
