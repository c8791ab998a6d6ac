"""A second real client: Neovim's built-in LSP client (headless) receives venvsense's diagnostics."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.wheels import build_wheel, make_venv, pip_install

NVIM = shutil.which("nvim")
pytestmark = pytest.mark.skipif(NVIM is None, reason="Neovim (nvim) is not installed")

SCRIPT = r"""
local root = vim.env.VS_ROOT
local status = "none"
local id = vim.lsp.start_client({
  name = "venvsense",
  cmd = { vim.env.VS_PYTHON, "-m", "venvsense", "serve" },
  root_dir = root,
  init_options = { venvsense = { trusted = false } },
  handlers = {
    ["venvsense/status"] = function(_, result)
      status = result.projects[1].state
    end,
  },
})
vim.cmd("edit " .. root .. "/requirements.txt")
vim.lsp.buf_attach_client(0, id)
vim.wait(20000, function() return #vim.diagnostic.get(0) > 0 and status ~= "busy" end, 50)
local lines = { "STATUS " .. status }
for _, d in ipairs(vim.diagnostic.get(0)) do
  local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code) or "?"
  table.insert(lines, string.format("%s %d %d %d %s", code, d.lnum, d.col, d.severity, d.message))
end
vim.fn.writefile(lines, vim.env.VS_OUT)
vim.lsp.stop_client(id)
vim.cmd("qa!")
"""


def test_neovim_receives_diagnostics_for_a_requirements_file(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    build_wheel(wheels, "alpha", "1.0")
    root = tmp_path / "project"
    root.mkdir()
    (root / "requirements.txt").write_text("alpha==1.0\nbeta>=2\n", encoding="utf-8")
    make_venv(root / ".venv")
    pip_install(root / ".venv", "alpha==1.0", find_links=wheels)
    script = tmp_path / "client.lua"
    script.write_text(SCRIPT, encoding="utf-8")
    out = tmp_path / "diagnostics.txt"
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update({"VS_ROOT": str(root), "VS_OUT": str(out), "VS_PYTHON": sys.executable,
                "XDG_CONFIG_HOME": str(tmp_path / "config"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "XDG_STATE_HOME": str(tmp_path / "state")})
    assert NVIM is not None
    subprocess.run([NVIM, "--headless", "-u", "NONE", "-i", "NONE", "-c", f"luafile {script}"],
                   env=env, cwd=root, timeout=60, check=True, capture_output=True)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "STATUS problems"
    (diagnostic,) = lines[1:]
    code, line, column, severity, message = diagnostic.split(" ", 4)
    assert (code, line, column, severity) == ("VS201", "1", "0", "1")  # vim.diagnostic.severity.ERROR == 1
    assert message.startswith("beta>=2 is declared but not installed")
