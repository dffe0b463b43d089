from sentimon.cli import app

app(prog_name="sentimon")
