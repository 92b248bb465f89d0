/** What one HTTP probe of a group's address found: the HTTP client's result. Shared by the prober and the classifier. */
export type {
  HttpErrorCode as ProbeErrorCode,
  HttpHop as ProbeHop,
  HttpResult as ProbeResult,
} from "../http/types.js";
