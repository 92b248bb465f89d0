// A renderer that dies as soon as it starts (render-process.test.ts).
process.exit(3);
