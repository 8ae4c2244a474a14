import { resolve } from "node:path";
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// One entry per page. The built files are committed in dist/ and embedded
// in the Go binary (package kpiflow/web), so that building and running the
// server needs no Node. Names under assets/ carry a hash of their content:
// the server marks them immutable. A later page (the console) is one more
// entry here.
export default defineConfig({
  plugins: [react()],
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // No inline assets: the page's Content-Security-Policy allows only self.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 4096,
    rollupOptions: {
      input: {
        graphiql: resolve(import.meta.dirname, "index.html"),
      },
      // A dependency's "use no memo" directive is dropped when bundled, harmlessly.
      onwarn(warning, warn) {
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
