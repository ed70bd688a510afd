// The bundle's entry: the global `io`.
import { io } from "./index.js";

self.io = io;
