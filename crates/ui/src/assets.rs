//! The front end's files, embedded at build time by `build.rs` from `web/dist` (made by
//! `cargo xtask ui`). A build without them serves [`NOT_BUILT_PAGE`].

include!(concat!(env!("OUT_DIR"), "/assets.rs"));

/// The page served when this binary was built without the front end.
pub const NOT_BUILT_PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>sluice ui: front end not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1a1c21;background:#fff}code{background:#f1f4fa;padding:.1rem .3rem}</style>
</head><body><main>
<h1>The sluice ui front end is not in this build</h1>
<p>This <code>sluice</code> binary was compiled before the web application was built, so there is
no page to show. The JSON API under <code>/api</code> works.</p>
<p>Build the front end and then <code>sluice</code> again:</p>
<pre><code>cargo xtask ui
cargo build -p cli</code></pre>
<p><code>cargo xtask demo</code> and <code>cargo xtask test</code> do both when the bundle is missing.</p>
</main></body></html>
"#;

/// The embedded file at `path` (`/index.html`, `/assets/index-1a2b.js`).
pub fn find(path: &str) -> Option<&'static (&'static str, &'static [u8])> {
    ASSETS.iter().find(|(p, _)| *p == path)
}

/// True when the front end was embedded.
pub fn is_built() -> bool {
    find("/index.html").is_some()
}

/// The media type of a file by its extension.
pub fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}
