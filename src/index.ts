// trace-convert as a library: the decoder and the conversion driver.
export * from "./decode/index.js";
export { drive, type DriveResult, type DriveOptions } from "./convert/drive.js";
export { formatEvent } from "./sinks/text.js";
