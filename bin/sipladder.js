#!/usr/bin/env node
// Launcher: runs the compiled CLI (npm install builds it; `npm run build` rebuilds).
import '../dist/src/cli/main.js';
