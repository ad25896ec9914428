"""sit-tiny: see continuous.py. Reproduce with the command recorded in packages/zoo/manifest.json, e.g.

    /usr/bin/python3 tooling/zoo/sit_tiny.py --steps N
"""
import continuous

if __name__ == "__main__":
    continuous.main("flow", "sit-tiny")
