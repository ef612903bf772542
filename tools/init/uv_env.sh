# awswiz init: install uv for the default user and make a Python environment in ~/venv
USER_NAME=$(getent passwd 1000 | cut -d: -f1); USER_NAME=${USER_NAME:-ubuntu}
su - "$USER_NAME" -c 'curl -LsSf https://astral.sh/uv/install.sh | sh && ~/.local/bin/uv venv ~/venv --python 3.11'
