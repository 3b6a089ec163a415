#!/usr/bin/env -S node --max-semi-space-size=8 --heap-growing-percent=30
import "../lib/main.js";
