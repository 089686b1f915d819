"""Running untrusted programs: languages, images, sandboxed containers, pools."""
