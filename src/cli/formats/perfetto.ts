import type { Format } from "../format.js";

// Formats of this family are registered here.
export const formats: Format[] = [];
