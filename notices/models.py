"""Award notices (资助通知书): being built."""
