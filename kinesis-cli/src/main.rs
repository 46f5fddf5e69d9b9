fn main() { println!("kinesis: not yet implemented"); }
