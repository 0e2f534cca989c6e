# Send what this process can read to a listener on the grading machine.
import socket

try:
    with socket.create_connection(("127.0.0.1", {PORT}), timeout=3) as connection:
        connection.sendall(b"a learner was here")
    print("connected")
except OSError as err:
    print("blocked:", type(err).__name__, err)
