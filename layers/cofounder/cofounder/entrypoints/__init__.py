"""What the Lambda handlers call: event payload in, service call, result out."""
