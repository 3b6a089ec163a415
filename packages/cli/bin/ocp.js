#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=131072 MALLOC_ARENA_MAX=2 node --max-semi-space-size=8 --heap-growing-percent=30 --no-sparkplug --no-maglev
import "../lib/main.js";
