// A renderer that says it is ready and then never answers (render-process.test.ts).
process.on("message", () => {});
process.on("disconnect", () => process.exit(0));
process.send?.({ kind: "ready" });
