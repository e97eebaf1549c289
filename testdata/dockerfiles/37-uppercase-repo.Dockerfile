FROM Ubuntu:22.04
