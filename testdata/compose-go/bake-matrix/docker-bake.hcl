group "default" {
  targets = ["app"]
}

target "app" {
  name = "app-${tgt}"
  matrix = {
    tgt = ["debian", "alpine"]
  }
  target = tgt
}
