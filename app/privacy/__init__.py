"""Privacy a parent can see: who read a child's data (accesslog/), and more to come."""
