//! Socket.IO v5 packets (in progress).
