"""Pure domain logic: no AWS, Redis or network imports."""
