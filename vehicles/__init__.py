"""Vehicle catalogue, vehicles, purchases and financing (R2.1-2.2), odometer readings (R2.3) and service orders (R3.4)."""
