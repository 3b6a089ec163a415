// Import-cycle check of the packages' sources, run by `npm run lint`.
// Type-only imports count: a type cycle couples modules as much as a value one.

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment: "A module must not reach itself through its imports.",
      from: { path: "^packages/[^/]+/src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    includeOnly: "^packages/[^/]+/src/",
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: { extensions: [".ts", ".js"] },
  },
};
