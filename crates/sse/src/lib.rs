//! Server-Sent Events (in progress).
